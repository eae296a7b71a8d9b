//! A declared 512 MiB bulk with only a few bytes sent must not allocate or
//! grow anything: memory follows the bytes that actually arrive. A counting
//! global allocator records the largest single allocation made while the
//! parser runs. One test in this binary so nothing else allocates meanwhile.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use bytes::BytesMut;
use corekv_wire::RequestParser;

struct Counting;

static TRACKING: AtomicBool = AtomicBool::new(false);
static LARGEST: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if TRACKING.load(Ordering::Relaxed) {
            LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if TRACKING.load(Ordering::Relaxed) {
            LARGEST.fetch_max(new_size, Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` and returns the largest allocation it made.
fn largest_alloc_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LARGEST.store(0, Ordering::Relaxed);
    TRACKING.store(true, Ordering::Relaxed);
    let out = f();
    TRACKING.store(false, Ordering::Relaxed);
    (out, LARGEST.load(Ordering::Relaxed))
}

#[test]
fn declared_huge_bulk_grows_only_with_data() {
    let mut p = RequestParser::default();
    let mut buf = BytesMut::with_capacity(256);
    buf.extend_from_slice(b"*2\r\n$3\r\nSET\r\n$536870912\r\nabc");

    let (res, largest) = largest_alloc_during(|| p.parse(&mut buf));
    assert_eq!(res, Ok(None));
    assert!(largest <= 1024, "parser allocated {largest} bytes");
    assert!(buf.capacity() <= 256, "buffer grew to {}", buf.capacity());
    assert_eq!(&buf[..], b"abc");
    assert_eq!(p.pending_bytes(), 3);

    // Stream 1 MiB more in 4 KiB reads: the parser itself never allocates
    // more than a few bytes per call, and the buffer tracks the data.
    let chunk = vec![b'x'; 4096];
    for _ in 0..256 {
        buf.extend_from_slice(&chunk);
        let (res, largest) = largest_alloc_during(|| p.parse(&mut buf));
        assert_eq!(res, Ok(None));
        assert!(largest <= 1024, "parser allocated {largest} bytes");
    }
    let data = 3 + 256 * 4096;
    assert_eq!(buf.len(), data);
    assert!(
        buf.capacity() <= 4 * data,
        "capacity {} for {data} bytes",
        buf.capacity()
    );
}
