// Private to the OCCT adapter: feeds OCCT's STEP lexer in whole blocks.
#pragma once

#include <istream>

// While a scope lives, STEP parses on this thread read `in` in blocks
// (step_input.cpp says why). Hold the reader lock for the scope's lifetime.
class step_input_scope {
  public:
    explicit step_input_scope(std::istream &in);
    ~step_input_scope();
    step_input_scope(const step_input_scope &) = delete;
    step_input_scope &operator=(const step_input_scope &) = delete;

    // What the lexer reads: up to max_size bytes from the innermost scope
    // on this thread (0 at the end, -1 on a read error), or -2 when this
    // thread has no scope.
    static int read(char *buf, int max_size);

    // How many blocks the lexer took through this scope: none means OCCT's
    // own one-character reader ran (the override was not bound).
    unsigned long reads() const { return reads_; }

  private:
    std::istream &in_;
    step_input_scope *outer_;
    unsigned long reads_ = 0;
};
