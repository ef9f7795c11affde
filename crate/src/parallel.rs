//! Where the CPU work (the kernels, preprocessing a batch) may use threads: natively (rayon's
//! pool over every core) and in the browser's threaded build (feature `threads`: rayon's pool of
//! Web Workers); the plain browser build has one thread. The one place that says so.
//!
//! A build with a pool can also leave it unused (`set_pooled(false)`): on a device where the
//! pool measures slower than one thread (see `backbone::threads`).

#[cfg(any(not(target_family = "wasm"), feature = "threads"))]
mod pool {
    use std::sync::atomic::{AtomicBool, Ordering};

    use rayon::prelude::*;

    static POOLED: AtomicBool = AtomicBool::new(true);

    pub fn set_pooled(on: bool) {
        POOLED.store(on, Ordering::Relaxed);
    }

    pub fn threads() -> usize {
        if POOLED.load(Ordering::Relaxed) { rayon::current_num_threads() } else { 1 }
    }

    pub fn available() -> usize {
        rayon::current_num_threads()
    }

    pub fn for_each_chunk<S>(
        input: &[f32],
        input_chunk: usize,
        output: &mut [f32],
        output_chunk: usize,
        init: impl Fn() -> S + Sync + Send,
        body: impl Fn(&mut S, usize, &[f32], &mut [f32]) + Sync + Send,
    ) {
        input
            .par_chunks_exact(input_chunk)
            .zip(output.par_chunks_exact_mut(output_chunk))
            .enumerate()
            .for_each_init(init, |state, (index, (input, output))| body(state, index, input, output));
    }

    pub fn for_each_index(count: usize, body: impl Fn(usize) + Sync + Send) {
        (0..count).into_par_iter().for_each(body);
    }

    pub fn map_each<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync + Send) -> Vec<R> {
        items.into_par_iter().with_max_len(1).map(f).collect()
    }

    pub fn in_pool<R: Send>(pass: impl FnOnce() -> R + Send) -> R {
        rayon::scope(|_| pass())
    }
}

/// The build's thread pool and closures it can run: `Send + Sync` where there is a pool, plain
/// closures where there is none.
#[cfg(any(not(target_family = "wasm"), feature = "threads"))]
mod bounds {
    pub trait Shared: Sync + Send {}
    impl<T: Sync + Send> Shared for T {}
    pub trait Movable: Send {}
    impl<T: Send> Movable for T {}
}

#[cfg(not(any(not(target_family = "wasm"), feature = "threads")))]
mod bounds {
    pub trait Shared {}
    impl<T> Shared for T {}
    pub trait Movable {}
    impl<T> Movable for T {}
}

#[cfg(not(any(not(target_family = "wasm"), feature = "threads")))]
mod pool {
    pub fn set_pooled(_: bool) {}

    pub fn threads() -> usize {
        1
    }

    pub fn available() -> usize {
        1
    }
}

pub use bounds::{Movable, Shared};

/// Uses the pool (`true`, the start) or the calling thread alone; a build without a pool has
/// only the latter.
pub fn set_pooled(on: bool) {
    pool::set_pooled(on)
}

/// How many threads the kernels may use now.
pub fn threads() -> usize {
    pool::threads()
}

/// How many threads the build's pool has, used or not.
pub fn available() -> usize {
    pool::available()
}

/// Whether the work below may go to the pool.
#[cfg(any(not(target_family = "wasm"), feature = "threads"))]
fn pooled() -> bool {
    threads() > 1
}

/// Runs `body(state, index, input_chunk, output_chunk)` over matching chunks of `input` and
/// `output`, on every thread the build has; `init` makes each thread's scratch state.
pub fn for_each_chunk<S>(
    input: &[f32],
    input_chunk: usize,
    output: &mut [f32],
    output_chunk: usize,
    init: impl Fn() -> S + Shared,
    body: impl Fn(&mut S, usize, &[f32], &mut [f32]) + Shared,
) {
    #[cfg(any(not(target_family = "wasm"), feature = "threads"))]
    if pooled() {
        return pool::for_each_chunk(input, input_chunk, output, output_chunk, init, body);
    }
    let mut state = init();
    for (index, (input, output)) in input.chunks_exact(input_chunk).zip(output.chunks_exact_mut(output_chunk)).enumerate() {
        body(&mut state, index, input, output);
    }
}

/// Runs `body(index)` for every index below `count`, on every thread the build has.
pub fn for_each_index(count: usize, body: impl Fn(usize) + Shared) {
    #[cfg(any(not(target_family = "wasm"), feature = "threads"))]
    if pooled() {
        return pool::for_each_index(count, body);
    }
    (0..count).for_each(body);
}

/// `f` of each item, in order, the items spread across the threads the build has.
pub fn map_each<T: Movable, R: Movable>(items: Vec<T>, f: impl Fn(T) -> R + Shared) -> Vec<R> {
    #[cfg(any(not(target_family = "wasm"), feature = "threads"))]
    if pooled() {
        return pool::map_each(items, f);
    }
    items.into_iter().map(f).collect()
}

/// Runs `pass` on one of the pool's threads, so that the ops inside it split their work from
/// there: the pool's threads wake and join it directly, and the caller (the page's worker, which
/// is not one of them) waits once per pass instead of once per op.
pub fn in_pool<R: Movable>(pass: impl FnOnce() -> R + Movable) -> R {
    #[cfg(any(not(target_family = "wasm"), feature = "threads"))]
    if pooled() {
        return pool::in_pool(pass);
    }
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
