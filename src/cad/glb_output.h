// Private to the OCCT adapter: how OCCT's glTF writer writes its files.
#pragma once

// Registers the file system below with OCCT; before any other OCCT call
// (registering is not thread-safe there), and once.
void glb_output_register();

// While a scope lives, files OCCT opens for writing on this thread go
// through a buffer that knows its own position (glb_output.cpp says why).
class glb_output_scope {
  public:
    glb_output_scope();
    ~glb_output_scope();
    glb_output_scope(const glb_output_scope &) = delete;
    glb_output_scope &operator=(const glb_output_scope &) = delete;

    // How many files were written through the buffer in this scope: none
    // means OCCT's own file streams ran.
    unsigned long files() const { return files_; }

  private:
    friend class positioned_file_system;
    glb_output_scope *outer_;
    unsigned long files_ = 0;
};
