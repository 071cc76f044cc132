#if canImport(Glibc)
import Glibc

/// glibc's allocator settings for a long-running operator.
///
/// By default glibc raises its mmap threshold each time a large block is freed (up to 32 MiB):
/// after one large reconcile (a 1 MiB value, a list answer of many objects, a Secret of thousands
/// of keys) later large buffers come from the heap instead of their own mappings, and the heap's
/// free pages are kept by the process for good (measured with a debug build: 62 MiB at start,
/// 112 MiB after one ExternalSecret with 10,000 entries and a 1 MiB value, still 112 MiB after
/// it was deleted; with fixed thresholds 57, 66 and 58 MiB). Fixing the mmap threshold at 128 KiB
/// (glibc's starting value) keeps large buffers in mappings that are returned when freed, and a
/// fixed trim threshold returns the heap's free top.
///
/// Guarantees: called once at start, before any large allocation. Caveats: glibc only (musl and
/// Darwin allocators behave differently and are left alone); `mallopt` is not in Swift's Glibc
/// module, so it is looked up by name; when absent nothing changes.
enum AllocatorTuning {
    private typealias MallOpt = @convention(c) (Int32, Int32) -> Int32

    /// glibc's `M_TRIM_THRESHOLD` and `M_MMAP_THRESHOLD` (malloc.h).
    private static let trimThresholdOption: Int32 = -1
    private static let mmapThresholdOption: Int32 = -3
    static let threshold: Int32 = 128 * 1024

    /// Sets the fixed thresholds; returns whether glibc accepted both.
    @discardableResult
    static func apply() -> Bool {
        guard let symbol = dlsym(nil, "mallopt") else { return false }
        let mallopt = unsafeBitCast(symbol, to: MallOpt.self)
        return mallopt(mmapThresholdOption, threshold) == 1 && mallopt(trimThresholdOption, threshold) == 1
    }
}
#else
/// Other platforms' allocators are left alone.
enum AllocatorTuning {
    @discardableResult
    static func apply() -> Bool { false }
}
#endif
