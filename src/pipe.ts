/**
 * `pipe()`: it-pipe's, with types that follow each message type through the pipe.
 *
 * it-pipe types every step from the one before with `ReturnType`, which cannot see through a generic
 * transform: `pipe(conn, lines().decode, until('END'))` came out as `any`. These overloads name the
 * item type flowing between each pair of steps instead, so a generic step such as `until('END')` is
 * inferred from where it stands (`string` after `lines().decode`, `Uint8Array` after
 * `lengthPrefixed().decode`), and a mistake such as `pipe(conn, lines().decode, conn)` (strings into
 * a byte sink) does not compile. At run time it is it-pipe's `pipe`, unchanged.
 *
 * @module
 */
import { pipe as itPipe } from 'it-pipe'
import type { Duplex } from 'it-stream-types'

/** Items, sync or async. */
type Items<T> = Iterable<T> | AsyncIterable<T>

/** Where a pipe starts: an iterable, a function returning one (a generator function), or a duplex (its `source`). */
export type PipeSource<S> = S | (() => S) | Duplex<S, never, unknown>

/**
 * A step between two others, from what the step before returned (`A`) to what it returns (`B`): a
 * transform, or a duplex whose `sink` takes `A` and whose `source` is `B`.
 */
export type PipeTransform<A, B> = ((source: A) => B) | Duplex<B, A, unknown>

/** The last step: a sink or a transform (`pipe()` returns what it returns), or a duplex (what its `sink` returns). */
export type PipeSink<A, R> = ((source: A) => R) | Duplex<unknown, A, R>

/**
 * Pipes `source` through each transform into the last step and returns what that returns:
 * `await pipe(conn, lines().decode, until('bye'), lines().encode, conn)`. A duplex first gives its
 * `source`, a duplex last takes the items with its `sink`, and one in the middle does both.
 */
export function pipe<A extends Items<unknown>>(source: PipeSource<A>): A
export function pipe<A extends Items<unknown>, R>(source: PipeSource<A>, sink: PipeSink<A, R>): R
export function pipe<A extends Items<unknown>, B, R>(
  source: PipeSource<A>,
  t1: PipeTransform<A, B>,
  sink: PipeSink<B, R>,
): R
export function pipe<A extends Items<unknown>, B, C, R>(
  source: PipeSource<A>,
  t1: PipeTransform<A, B>,
  t2: PipeTransform<B, C>,
  sink: PipeSink<C, R>,
): R
export function pipe<A extends Items<unknown>, B, C, D, R>(
  source: PipeSource<A>,
  t1: PipeTransform<A, B>,
  t2: PipeTransform<B, C>,
  t3: PipeTransform<C, D>,
  sink: PipeSink<D, R>,
): R
export function pipe<A extends Items<unknown>, B, C, D, E, R>(
  source: PipeSource<A>,
  t1: PipeTransform<A, B>,
  t2: PipeTransform<B, C>,
  t3: PipeTransform<C, D>,
  t4: PipeTransform<D, E>,
  sink: PipeSink<E, R>,
): R
export function pipe<A extends Items<unknown>, B, C, D, E, F, R>(
  source: PipeSource<A>,
  t1: PipeTransform<A, B>,
  t2: PipeTransform<B, C>,
  t3: PipeTransform<C, D>,
  t4: PipeTransform<D, E>,
  t5: PipeTransform<E, F>,
  sink: PipeSink<F, R>,
): R
export function pipe<A extends Items<unknown>, B, C, D, E, F, G, R>(
  source: PipeSource<A>,
  t1: PipeTransform<A, B>,
  t2: PipeTransform<B, C>,
  t3: PipeTransform<C, D>,
  t4: PipeTransform<D, E>,
  t5: PipeTransform<E, F>,
  t6: PipeTransform<F, G>,
  sink: PipeSink<G, R>,
): R
export function pipe<A extends Items<unknown>, B, C, D, E, F, G, H, R>(
  source: PipeSource<A>,
  t1: PipeTransform<A, B>,
  t2: PipeTransform<B, C>,
  t3: PipeTransform<C, D>,
  t4: PipeTransform<D, E>,
  t5: PipeTransform<E, F>,
  t6: PipeTransform<F, G>,
  t7: PipeTransform<G, H>,
  sink: PipeSink<H, R>,
): R
export function pipe<A extends Items<unknown>, B, C, D, E, F, G, H, I, R>(
  source: PipeSource<A>,
  t1: PipeTransform<A, B>,
  t2: PipeTransform<B, C>,
  t3: PipeTransform<C, D>,
  t4: PipeTransform<D, E>,
  t5: PipeTransform<E, F>,
  t6: PipeTransform<F, G>,
  t7: PipeTransform<G, H>,
  t8: PipeTransform<H, I>,
  sink: PipeSink<I, R>,
): R
export function pipe<A extends Items<unknown>, B, C, D, E, F, G, H, I, J, R>(
  source: PipeSource<A>,
  t1: PipeTransform<A, B>,
  t2: PipeTransform<B, C>,
  t3: PipeTransform<C, D>,
  t4: PipeTransform<D, E>,
  t5: PipeTransform<E, F>,
  t6: PipeTransform<F, G>,
  t7: PipeTransform<G, H>,
  t8: PipeTransform<H, I>,
  t9: PipeTransform<I, J>,
  sink: PipeSink<J, R>,
): R
export function pipe<A extends Items<unknown>, B, C, D, E, F, G, H, I, J, K, R>(
  source: PipeSource<A>,
  t1: PipeTransform<A, B>,
  t2: PipeTransform<B, C>,
  t3: PipeTransform<C, D>,
  t4: PipeTransform<D, E>,
  t5: PipeTransform<E, F>,
  t6: PipeTransform<F, G>,
  t7: PipeTransform<G, H>,
  t8: PipeTransform<H, I>,
  t9: PipeTransform<I, J>,
  t10: PipeTransform<J, K>,
  sink: PipeSink<K, R>,
): R
export function pipe(
  source: PipeSource<unknown>,
  ...steps: Array<PipeTransform<unknown, unknown> | PipeSink<unknown, unknown>>
): unknown {
  return (itPipe as (...fns: unknown[]) => unknown)(source, ...steps)
}
