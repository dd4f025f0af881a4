//! The element-wise machinery every CPU kernel runs through: kernels as
//! values ([`Apply1`], [`Apply2`]), where inputs come from ([`Input`]),
//! how outputs are stored ([`Out`]), and the loops ([`map1`], [`map2`]).
//!
//! Nothing here knows a formula: the algorithms (`sigma.rs`, `stable.rs`, `hard.rs`)
//! implement [`Apply1`] / [`Apply2`], and `ops.rs` picks one per call.
//! Everything is `#[inline(always)]` so each backend's `#[target_feature]`
//! entry point compiles its own copy.

use super::lanes::Lanes;

/// A one-input element-wise kernel as a value (it may carry parameters).
pub(crate) trait Apply1: Copy {
    fn apply<L: Lanes>(self, x: L) -> L;
}

/// A two-input element-wise kernel as a value.
pub(crate) trait Apply2: Copy {
    fn apply<L: Lanes>(self, a: L, b: L) -> L;
}

/// `kernel!(Name: Apply1, f)` defines the unit kernel `Name` that applies
/// the generic function `f` (likewise `Apply2` for two inputs). A type with
/// a method, not a closure or fn pointer, so that `#[inline(always)]`
/// reaches through to the backend's entry point.
macro_rules! kernel {
    ($name:ident: Apply1, $f:ident) => {
        #[derive(Clone, Copy)]
        pub(crate) struct $name;
        impl $crate::cpu::map::Apply1 for $name {
            #[inline(always)]
            fn apply<L: $crate::cpu::lanes::Lanes>(self, x: L) -> L {
                $f(x)
            }
        }
    };
    ($name:ident: Apply2, $f:ident) => {
        #[derive(Clone, Copy)]
        pub(crate) struct $name;
        impl $crate::cpu::map::Apply2 for $name {
            #[inline(always)]
            fn apply<L: $crate::cpu::lanes::Lanes>(self, a: L, b: L) -> L {
                $f(a, b)
            }
        }
    };
}
pub(crate) use kernel;

/// Where a kernel reads an input: a slice of its own ([`Slice`]), or the
/// output slice itself ([`InPlace`]). A type parameter, not an `Option`, so
/// the choice is made once per call instead of once per vector.
pub(crate) trait Input: Copy {
    /// `len` input elements from index `i`; `dst` is the output slice.
    fn get<'a>(&'a self, dst: &'a [f32], i: usize, len: usize) -> &'a [f32];
    /// The same input without its first `n` elements.
    fn skip(self, n: usize) -> Self;
    /// The first `n` elements of the input.
    fn take(self, n: usize) -> Self;
    /// Asks for the lines of elements `i..i + n` (those that exist) to be
    /// fetched into the cache ([`Lanes::prefetch`]); in place, nothing.
    fn prefetch<L: Lanes>(&self, i: usize, n: usize);
}

/// Input from a separate slice.
#[derive(Clone, Copy)]
pub(crate) struct Slice<'s>(pub(crate) &'s [f32]);

/// Input read from the output slice (in-place kernels).
#[derive(Clone, Copy)]
pub(crate) struct InPlace;

impl Input for Slice<'_> {
    #[inline(always)]
    fn get<'a>(&'a self, _dst: &'a [f32], i: usize, len: usize) -> &'a [f32] {
        &self.0[i..i + len]
    }
    #[inline(always)]
    fn skip(self, n: usize) -> Self {
        Slice(&self.0[n..])
    }
    #[inline(always)]
    fn take(self, n: usize) -> Self {
        Slice(&self.0[..n])
    }
    #[inline(always)]
    fn prefetch<L: Lanes>(&self, i: usize, n: usize) {
        for j in (i..i + n).step_by(LINE) {
            L::prefetch(self.0.get(j..).unwrap_or_default());
        }
    }
}

impl Input for InPlace {
    #[inline(always)]
    fn get<'a>(&'a self, dst: &'a [f32], i: usize, len: usize) -> &'a [f32] {
        &dst[i..i + len]
    }
    #[inline(always)]
    fn skip(self, _n: usize) -> Self {
        InPlace
    }
    #[inline(always)]
    fn take(self, _n: usize) -> Self {
        InPlace
    }
    #[inline(always)]
    fn prefetch<L: Lanes>(&self, _i: usize, _n: usize) {}
}

/// `f32`s per 64-byte cache line.
const LINE: usize = 16;

/// Elements ahead of the current block whose input lines a streamed call
/// prefetches ([`Out::ahead`]): 4 KiB, one page. 2–16 KiB measured alike on
/// the Emerald Rapids VM, NTA hints slower (`docs/benchmarks.md`).
const PREFETCH_AHEAD: usize = 1024;

/// How the kernels write whole vectors of output: through the cache
/// ([`Cached`]) or around it ([`Streamed`]). A type parameter, chosen once
/// per call.
pub(crate) trait Out: Copy {
    fn put<L: Lanes>(v: L, dst: &mut [f32]);
    /// Called by the block loops before the block of elements `i..i + n`:
    /// a streamed call (large arrays, [`crate::cpu::STREAM_MIN`]) reads
    /// from memory and prefetches its input [`PREFETCH_AHEAD`] elements
    /// ahead (measured faster at 16M on two threads); a cached call does
    /// nothing.
    #[inline(always)]
    fn ahead<L: Lanes, I: Input>(_src: &I, _i: usize, _n: usize) {}
}

/// Ordinary stores.
#[derive(Clone, Copy)]
pub(crate) struct Cached;

/// Non-temporal stores where the backend has them ([`Lanes::store_stream`]).
#[derive(Clone, Copy)]
pub(crate) struct Streamed;

impl Out for Cached {
    #[inline(always)]
    fn put<L: Lanes>(v: L, dst: &mut [f32]) {
        v.store(dst)
    }
}

impl Out for Streamed {
    #[inline(always)]
    fn put<L: Lanes>(v: L, dst: &mut [f32]) {
        v.store_stream(dst)
    }
    #[inline(always)]
    fn ahead<L: Lanes, I: Input>(src: &I, i: usize, n: usize) {
        src.prefetch::<L>(i + PREFETCH_AHEAD, n);
    }
}

/// Elements before `dst` reaches the alignment of a whole `L` vector (so
/// that streamed stores can be aligned), at most `dst.len()`.
#[inline(always)]
pub(crate) fn head_to_align<L: Lanes>(dst: &[f32]) -> usize {
    let align = 4 * L::WIDTH;
    let misalign = dst.as_ptr() as usize % align;
    (((align - misalign) % align) / 4).min(dst.len())
}

/// Vectors per step of the element-wise loops ([`map1`], [`map2`]): each
/// step reads and writes exact-length views, so its vectors share one
/// bounds check and one loop branch (faster when the core is contended;
/// eight is no better than four — figures in `docs/benchmarks.md`).
const STEP: usize = 4;

/// `dst[i] = k(src[i])` vector by vector, in steps of [`STEP`] vectors and
/// then single vectors; the last partial vector through
/// [`Lanes::load_partial`] / [`Lanes::store_partial`].
#[inline(always)]
pub(crate) fn map1<L: Lanes, K: Apply1, I: Input, O: Out>(k: K, src: I, dst: &mut [f32]) {
    let w = L::WIDTH;
    let n = dst.len();
    let steps = n - n % (STEP * w);
    let body = n - n % w;
    map1_steps::<L, K, I, O, STEP>(k, src, &mut dst[..steps]);
    map1_steps::<L, K, I, O, 1>(k, src.skip(steps), &mut dst[steps..body]);
    if body < n {
        let x = L::load_partial(src.get(dst, body, n - body));
        k.apply(x).store_partial(&mut dst[body..]);
    }
}

/// [`map1`] over whole steps of `V` vectors (`dst.len()` is a multiple of
/// `V` vectors).
#[inline(always)]
fn map1_steps<L: Lanes, K: Apply1, I: Input, O: Out, const V: usize>(
    k: K,
    src: I,
    dst: &mut [f32],
) {
    let w = L::WIDTH;
    let step = V * w;
    for start in (0..dst.len()).step_by(step) {
        let s = src.skip(start).take(step);
        let out = &mut dst[start..start + step];
        for v in 0..V {
            let x = L::load(s.get(out, v * w, w));
            O::put(k.apply(x), &mut out[v * w..v * w + w]);
        }
    }
}

/// `dst[i] = k(a[i], b[i])`, where `b` may be `dst` itself; steps as in
/// [`map1`].
#[inline(always)]
pub(crate) fn map2<L: Lanes, K: Apply2, I: Input, O: Out>(k: K, a: &[f32], b: I, dst: &mut [f32]) {
    let w = L::WIDTH;
    let n = dst.len();
    let steps = n - n % (STEP * w);
    let body = n - n % w;
    map2_steps::<L, K, I, O, STEP>(k, a, b, &mut dst[..steps]);
    map2_steps::<L, K, I, O, 1>(k, &a[steps..], b.skip(steps), &mut dst[steps..body]);
    if body < n {
        let va = L::load_partial(&a[body..]);
        let vb = L::load_partial(b.get(dst, body, n - body));
        k.apply(va, vb).store_partial(&mut dst[body..]);
    }
}

/// [`map2`] over whole steps of `V` vectors.
#[inline(always)]
fn map2_steps<L: Lanes, K: Apply2, I: Input, O: Out, const V: usize>(
    k: K,
    a: &[f32],
    b: I,
    dst: &mut [f32],
) {
    let w = L::WIDTH;
    let step = V * w;
    for start in (0..dst.len()).step_by(step) {
        let (sa, sb) = (&a[start..start + step], b.skip(start).take(step));
        let out = &mut dst[start..start + step];
        for v in 0..V {
            let (va, vb) = (
                L::load(&sa[v * w..v * w + w]),
                L::load(sb.get(out, v * w, w)),
            );
            O::put(k.apply(va, vb), &mut out[v * w..v * w + w]);
        }
    }
}
