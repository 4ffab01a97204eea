/* jemalloc's settings, read from this symbol when the process starts (the
 * build links this file only with jemalloc; CMakeLists.txt says why).
 * dirty_decay_ms: freed pages go back to the system after about a second
 * instead of ten. A CAD export frees the reader's model (~100 MB) before
 * meshing, which then allocates as much again: with ten seconds both were
 * resident at once, 6% over glibc's peak; with one the peak is glibc's.
 * (docs/runtime.md, "Locks the load makes wait".) */
const char *malloc_conf = "dirty_decay_ms:1000";
