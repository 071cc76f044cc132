// A C interface to RE2 (Debian's libre2-dev), the engine Go's `regexp` follows, for GoCompat.
// Only what GoRegexp needs: compile with Go's syntax flags, group names, one leftmost-first match.
#ifndef CRE2SHIM_H
#define CRE2SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A compiled RE2 program. Immutable after compilation; RE2 guards its lazily built automata with
/// its own mutex, so one program may be matched from several threads at once.
typedef struct CRE2Program CRE2Program;

/// Compiles `pattern` (`length` bytes of UTF-8) with Go's `regexp.Compile` flags (Perl syntax,
/// leftmost-first, UTF-8, `.` not matching `\n`), refusing programs larger than `max_mem` bytes.
/// Returns NULL on failure with `*error_code` set to RE2's `ErrorCode` and `*error_arg` to a
/// malloc'd copy of the offending fragment (free it with `cre2_free_string`).
CRE2Program *_Nullable cre2_compile(
    const char *_Nonnull pattern, size_t length, int64_t max_mem, int *_Nonnull error_code,
    char *_Nullable *_Nonnull error_arg);

void cre2_delete(CRE2Program *_Nullable program);

void cre2_free_string(char *_Nullable string);

/// The number of capturing groups (not counting the whole match).
int cre2_capture_count(const CRE2Program *_Nonnull program);

/// The name of capturing group `group` (1-based), or NULL when it has none. The pointer lives as
/// long as the program.
const char *_Nullable cre2_group_name(const CRE2Program *_Nonnull program, int group);

/// The leftmost-first match in `text[0..<length]` that starts at or after `start`; the whole text
/// is the context for `^`, `\b` and `\A`. On a match returns 1 and writes `2 * groups` byte offsets
/// (start, end of the whole match, then of each group; -1 for a group that did not take part);
/// returns 0 when there is no match.
int cre2_match(
    const CRE2Program *_Nonnull program, const char *_Nullable text, size_t length, size_t start,
    int64_t *_Nonnull offsets, int groups);

#ifdef __cplusplus
}
#endif

#endif
