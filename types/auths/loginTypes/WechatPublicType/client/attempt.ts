/**
 * One GET through an undici dispatcher, with its timeout and body-size cap, using undici's handler API
 * directly: no AbortSignal and no body stream per request (both showed up in profiles), and an exact
 * answer to "was the request handed to a connection?", which decides whether a code may be re-sent.
 */
import type { Dispatcher } from 'undici'

export type AttemptResult =
  /** A complete answer. `text` is the body when the status is 200, '' otherwise (it is not needed). */
  | { kind: 'answer'; status: number; text: string }
  | { kind: 'too_large'; status: number }
  /**
   * No complete answer. `started` is false when undici never began writing the request (it failed while
   * connecting or waiting for a connection): then nothing reached the server.
   */
  | { kind: 'failed'; started: boolean; timedOut: boolean; cause: Error | undefined }

export interface AttemptOptions {
  origin: string
  path: string
  timeoutMs: number
  maxBodyBytes: number
  /** Refuse to write the request a second time if undici tries to (it re-sends pipelined requests). */
  sendOnce: boolean
}

const TIMED_OUT = new Error('attempt timed out')
const TOO_LARGE = new Error('body too large')
const SENT_TWICE = new Error('refused to send the request twice')

export function attemptGet(dispatcher: Dispatcher, options: AttemptOptions): Promise<AttemptResult> {
  return new Promise((resolve) => {
    const handler = new GetHandler(options, resolve)
    dispatcher.dispatch({ origin: options.origin, path: options.path, method: 'GET' }, handler)
  })
}

class GetHandler implements Dispatcher.DispatchHandler {
  #options: AttemptOptions
  #resolve: ((result: AttemptResult) => void) | undefined
  #timer: NodeJS.Timeout
  #controller: Dispatcher.DispatchController | undefined
  #started = false
  #status = 0
  #chunks: Buffer[] = []
  #size = 0

  constructor(options: AttemptOptions, resolve: (result: AttemptResult) => void) {
    this.#options = options
    this.#resolve = resolve
    this.#timer = setTimeout(() => this.#timeOut(), options.timeoutMs)
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.#resolve === undefined) {
      // The attempt already ended (timed out while waiting for a connection): do not send it now.
      controller.abort(TIMED_OUT)
      return
    }
    if (this.#started && this.#options.sendOnce) {
      controller.abort(SENT_TWICE)
      return
    }
    this.#started = true
    this.#controller = controller
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    this.#status = statusCode
    if (Number(headers['content-length']) > this.#options.maxBodyBytes) this.#refuseTooLarge(controller)
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#resolve === undefined) return
    this.#size += chunk.length
    if (this.#size > this.#options.maxBodyBytes) this.#refuseTooLarge(controller)
    else if (this.#status === 200) this.#chunks.push(chunk)
  }

  onResponseEnd(): void {
    const chunks = this.#chunks
    const text =
      chunks.length === 0
        ? ''
        : chunks.length === 1
          ? chunks[0].toString('utf8')
          : Buffer.concat(chunks, this.#size).toString('utf8')
    this.#finish({ kind: 'answer', status: this.#status, text })
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#finish({ kind: 'failed', started: this.#started, timedOut: error === TIMED_OUT, cause: error })
  }

  #refuseTooLarge(controller: Dispatcher.DispatchController): void {
    this.#finish({ kind: 'too_large', status: this.#status })
    controller.abort(TOO_LARGE)
  }

  #timeOut(): void {
    const started = this.#started
    this.#finish({ kind: 'failed', started, timedOut: true, cause: undefined })
    this.#controller?.abort(TIMED_OUT)
  }

  #finish(result: AttemptResult): void {
    const resolve = this.#resolve
    if (resolve === undefined) return
    this.#resolve = undefined
    clearTimeout(this.#timer)
    this.#chunks = []
    resolve(result)
  }
}
