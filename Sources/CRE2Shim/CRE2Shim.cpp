#include "CRE2Shim.h"

#include <re2/re2.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

struct CRE2Program {
    re2::RE2 regexp;
    std::vector<std::string> names;  // by group number; "" when unnamed

    CRE2Program(const re2::StringPiece &pattern, const re2::RE2::Options &options) : regexp(pattern, options) {}
};

static char *copy_string(const std::string &s) {
    char *out = static_cast<char *>(std::malloc(s.size() + 1));
    if (out != nullptr) {
        std::memcpy(out, s.data(), s.size());
        out[s.size()] = '\0';
    }
    return out;
}

extern "C" CRE2Program *cre2_compile(
    const char *pattern, size_t length, int64_t max_mem, int *error_code, char **error_arg) {
    *error_arg = nullptr;
    re2::RE2::Options options;
    options.set_encoding(re2::RE2::Options::EncodingUTF8);
    options.set_posix_syntax(false);  // Perl syntax: \d \s \w \b, (?flags), non-greedy, \pN
    options.set_longest_match(false);
    options.set_log_errors(false);
    options.set_max_mem(max_mem);
    CRE2Program *program = new (std::nothrow) CRE2Program(re2::StringPiece(pattern, length), options);
    if (program == nullptr) {
        *error_code = re2::RE2::ErrorInternal;
        return nullptr;
    }
    if (!program->regexp.ok()) {
        *error_code = program->regexp.error_code();
        *error_arg = copy_string(program->regexp.error_arg());
        delete program;
        return nullptr;
    }
    *error_code = re2::RE2::NoError;
    int groups = program->regexp.NumberOfCapturingGroups();
    program->names.assign(static_cast<size_t>(groups) + 1, std::string());
    for (const auto &entry : program->regexp.CapturingGroupNames()) {
        if (entry.first >= 0 && entry.first <= groups) program->names[static_cast<size_t>(entry.first)] = entry.second;
    }
    return program;
}

extern "C" void cre2_delete(CRE2Program *program) { delete program; }

extern "C" void cre2_free_string(char *string) { std::free(string); }

extern "C" int cre2_capture_count(const CRE2Program *program) { return program->regexp.NumberOfCapturingGroups(); }

extern "C" const char *cre2_group_name(const CRE2Program *program, int group) {
    if (group < 0 || static_cast<size_t>(group) >= program->names.size()) return nullptr;
    const std::string &name = program->names[static_cast<size_t>(group)];
    return name.empty() ? nullptr : name.c_str();
}

extern "C" int cre2_match(
    const CRE2Program *program, const char *text, size_t length, size_t start, int64_t *offsets, int groups) {
    static const char empty[1] = {0};
    // RE2 cannot tell an empty group from a missing one when the text pointer is NULL.
    const char *base = (text == nullptr || length == 0) ? empty : text;
    if (groups < 1 || start > length) return 0;
    std::vector<re2::StringPiece> submatch(static_cast<size_t>(groups));
    if (!program->regexp.Match(
            re2::StringPiece(base, length), start, length, re2::RE2::UNANCHORED, submatch.data(), groups)) {
        return 0;
    }
    for (int i = 0; i < groups; i++) {
        const re2::StringPiece &piece = submatch[static_cast<size_t>(i)];
        if (piece.data() == nullptr) {
            offsets[2 * i] = -1;
            offsets[2 * i + 1] = -1;
        } else {
            offsets[2 * i] = static_cast<int64_t>(piece.data() - base);
            offsets[2 * i + 1] = static_cast<int64_t>(piece.data() - base + piece.size());
        }
    }
    return 1;
}
