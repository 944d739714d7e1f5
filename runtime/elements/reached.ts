import { JitError } from '../errors.ts'
import type { ElementState, ResolvedElement } from './element-state.ts'

/** What a reached element asks of the generation it belongs to. */
export interface ObjectBuilder {
  /** Builds the object of `reached` (its Type's load, in this generation's context). */
  instantiate(reached: Reached): unknown
  /** The Instances of a Type, by fullName, sorted. */
  instancesOf(typeName: string): string[]
}

/** An element reached by one name in one generation, with the object built for that name. */
export class Reached implements ResolvedElement {
  readonly fullName: string
  readonly state: ElementState
  readonly ownerState: ElementState | undefined
  private readonly generation: ObjectBuilder
  private built = false
  private value: unknown

  constructor(
    fullName: string,
    state: ElementState,
    owner: ElementState | undefined,
    generation: ObjectBuilder,
  ) {
    this.fullName = fullName
    this.state = state
    this.ownerState = owner
    this.generation = generation
  }

  get element() {
    return this.state.element
  }
  get owner() {
    return this.ownerState?.element
  }
  get info() {
    return this.state.info
  }
  get type() {
    return this.state.type
  }
  get config() {
    return this.state.config
  }
  get publicConfig() {
    return this.state.publicConfig
  }

  get problem(): JitError | undefined {
    const { element } = this.state
    if (element.scopedTo && !this.ownerState) return this.needsInstance(element.scopedTo)
    const problem = this.ownerState?.problem || this.state.problem
    if (problem) return problem
    if (element.layer === 'Instance' && !element.scopedTo && !this.state.live) return this.notInUse()
    return undefined
  }

  object(): any {
    if (this.built) return this.value
    const problem = this.problem
    if (problem) throw problem
    const value = this.generation.instantiate(this)
    this.value = value
    this.built = true
    return value
  }

  /** Drops the built object (the generation is disposing it) and returns it. */
  forget(): unknown {
    const value = this.value
    this.built = false
    this.value = undefined
    return value
  }

  /** A framework Instance (databases.Default) that no Type in use names is not read, prepared or loaded. */
  private notInUse(): JitError {
    const folder = this.fullName.split('.').join('/')
    return new JitError(
      'JIT_ELEMENT_NOT_IN_USE',
      `${this.fullName} comes from the framework and is loaded only in an app whose Types name it in \`uses\` ` +
        `(a model, a login type); nothing in this app does. To use it directly, declare it in the app: ${folder}/e.json`,
      { element: this.fullName },
    )
  }

  private needsInstance(typeName: string): JitError {
    const instances = this.generation.instancesOf(typeName)
    const example =
      instances.length > 0 ? ` (for example ${instances[0]}.${this.fullName.slice(typeName.length + 1)})` : ''
    return new JitError(
      'JIT_ELEMENT_NEEDS_INSTANCE',
      `${this.fullName} belongs to ${typeName}: reach it through an Instance of that Type${example}`,
      { element: this.fullName },
    )
  }
}
