//! Where the CPU work (the kernels, preprocessing a batch) may use threads: natively (rayon's
//! pool over every core) and in the browser's threaded build (feature `threads`: rayon's pool of
//! Web Workers); the plain browser build has one thread. The one place that says so.

/// Runs `body(state, index, input_chunk, output_chunk)` over matching chunks of `input` and
/// `output`, on every thread the build has; `init` makes each thread's scratch state.
#[cfg(any(not(target_family = "wasm"), feature = "threads"))]
pub fn for_each_chunk<S>(
    input: &[f32],
    input_chunk: usize,
    output: &mut [f32],
    output_chunk: usize,
    init: impl Fn() -> S + Sync + Send,
    body: impl Fn(&mut S, usize, &[f32], &mut [f32]) + Sync + Send,
) {
    use rayon::prelude::*;
    input
        .par_chunks_exact(input_chunk)
        .zip(output.par_chunks_exact_mut(output_chunk))
        .enumerate()
        .for_each_init(init, |state, (index, (input, output))| body(state, index, input, output));
}

#[cfg(not(any(not(target_family = "wasm"), feature = "threads")))]
pub fn for_each_chunk<S>(
    input: &[f32],
    input_chunk: usize,
    output: &mut [f32],
    output_chunk: usize,
    init: impl Fn() -> S,
    body: impl Fn(&mut S, usize, &[f32], &mut [f32]),
) {
    let mut state = init();
    for (index, (input, output)) in input.chunks_exact(input_chunk).zip(output.chunks_exact_mut(output_chunk)).enumerate() {
        body(&mut state, index, input, output);
    }
}

/// How many threads the build's kernels may use.
#[cfg(any(not(target_family = "wasm"), feature = "threads"))]
pub fn threads() -> usize {
    rayon::current_num_threads()
}

#[cfg(not(any(not(target_family = "wasm"), feature = "threads")))]
pub fn threads() -> usize {
    1
}

/// Runs `body(index)` for every index below `count`, on every thread the build has.
#[cfg(any(not(target_family = "wasm"), feature = "threads"))]
pub fn for_each_index(count: usize, body: impl Fn(usize) + Sync + Send) {
    use rayon::prelude::*;
    (0..count).into_par_iter().for_each(body);
}

#[cfg(not(any(not(target_family = "wasm"), feature = "threads")))]
pub fn for_each_index(count: usize, body: impl Fn(usize)) {
    (0..count).for_each(body);
}

/// `f` of each item, in order, the items spread across the threads the build has.
#[cfg(any(not(target_family = "wasm"), feature = "threads"))]
pub fn map_each<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync + Send) -> Vec<R> {
    use rayon::prelude::*;
    items.into_par_iter().with_max_len(1).map(f).collect()
}

#[cfg(not(any(not(target_family = "wasm"), feature = "threads")))]
pub fn map_each<T, R>(items: Vec<T>, f: impl Fn(T) -> R) -> Vec<R> {
    items.into_iter().map(f).collect()
}

/// Runs `pass` on one of the pool's threads, so that the ops inside it split their work from
/// there: the pool's threads wake and join it directly, and the caller (the page's worker, which
/// is not one of them) waits once per pass instead of once per op.
#[cfg(any(not(target_family = "wasm"), feature = "threads"))]
pub fn in_pool<R: Send>(pass: impl FnOnce() -> R + Send) -> R {
    rayon::scope(|_| pass())
}

#[cfg(not(any(not(target_family = "wasm"), feature = "threads")))]
pub fn in_pool<R>(pass: impl FnOnce() -> R) -> R {
    pass()
}

/// An output that tasks on several threads write to, each its own disjoint part (the part is
/// the caller's promise, kept where it writes).
#[derive(Clone, Copy)]
pub struct SharedOut(*mut f32);

impl SharedOut {
    pub fn new(output: &mut [f32]) -> Self {
        Self(output.as_mut_ptr())
    }

    /// The output at `offset` values from its start.
    ///
    /// # Safety
    /// `offset` must lie inside the output, and the caller writes only its own part.
    pub unsafe fn at(self, offset: usize) -> *mut f32 {
        // SAFETY: as the caller promised.
        unsafe { self.0.add(offset) }
    }
}

// SAFETY: the pointer is only written through by tasks that each own a disjoint part of it,
// while the buffer it points into outlives them (see `for_each_index`'s callers).
unsafe impl Send for SharedOut {}
unsafe impl Sync for SharedOut {}
