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
    return this.ownerState?.problem || this.state.problem
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
