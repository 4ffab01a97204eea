// Private to the OCCT adapter: the STEP reader's check of assembly links,
// without copying an assembly's sharing list per component.
#pragma once

// While a scope lives, the STEP transfers on this thread check assembly
// links with the adapter's own check (step_assembly.cpp says why); outside
// one, OCCT's runs. Hold the reader lock for the scope's lifetime.
class step_assembly_scope {
  public:
    step_assembly_scope();
    ~step_assembly_scope();
    step_assembly_scope(const step_assembly_scope &) = delete;
    step_assembly_scope &operator=(const step_assembly_scope &) = delete;

    // How many links the adapter's check answered in this scope: none on
    // an assembly means OCCT's own ran (the override was not bound).
    unsigned long checks() const { return checks_; }

  private:
    friend struct step_assembly_check;
    step_assembly_scope *outer_;
    unsigned long checks_ = 0;
};
