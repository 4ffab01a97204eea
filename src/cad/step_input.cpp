// OCCT 7.6's STEP lexer (`stepFlexLexer`, a flex C++ scanner) is built
// interactive: its LexerInput reads one character per call, and after each
// call flex re-runs its automaton from the start of the current token. Lexing
// then costs the square of each token's length: 43% of parsing the bench
// assembly. LexerInput is virtual and OCCT's vtables bind it by symbol, so
// the definition below takes precedence over the library's (ELF symbol
// interposition). It hands the lexer whole blocks, as a non-interactive flex
// scanner reads, from the stream of the scope active on this thread, and
// leaves any other parse to OCCT's own reader. The signature is flex's
// documented one; the lexer object is never touched. The adapter is
// dlopen'ed (cad_loader.c) with RTLD_LOCAL: OCCT's libraries are then
// relocated against the module's lookup scope, which lists the module
// before them, so the override still wins; pf_cad_overrides_used() and
// tests/unit/test_cad_kernel.c check that it does.
#include "cad/step_input.h"

#include <dlfcn.h>

#define LEXER_INPUT_SYMBOL "_ZN13stepFlexLexer10LexerInputEPci" // stepFlexLexer::LexerInput(char *, int)

namespace {
thread_local step_input_scope *active = nullptr;
} // namespace

step_input_scope::step_input_scope(std::istream &in) : in_(in), outer_(active) { active = this; }
step_input_scope::~step_input_scope() { active = outer_; }

int step_input_scope::read(char *buf, int max_size) {
    if (!active) return -2;
    std::istream &in = active->in_;
    active->reads_++;
    if (in.eof() || in.fail()) return 0;
    in.read(buf, max_size);
    if (in.bad()) return -1; // flex reports "input in flex scanner failed"
    return (int)in.gcount();
}

// Exported from the module (built with hidden visibility): interposition
// binds by the dynamic symbol table.
extern "C" __attribute__((visibility("default"))) int step_lexer_input(void *lexer, char *buf,
                                                                       int max_size) __asm__(LEXER_INPUT_SYMBOL);
extern "C" int step_lexer_input(void *lexer, char *buf, int max_size) {
    int n = step_input_scope::read(buf, max_size);
    if (n != -2) return n;
    using lexer_input_fn = int (*)(void *, char *, int);
    static const lexer_input_fn occt = (lexer_input_fn)dlsym(RTLD_NEXT, LEXER_INPUT_SYMBOL);
    return occt ? occt(lexer, buf, max_size) : -1;
}
