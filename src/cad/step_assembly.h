// Private to the OCCT adapter: the STEP reader's check of assembly links,
// without copying an assembly's sharing list per component.
#pragma once

// How many assembly links the adapter's check answered on this thread so
// far (step_assembly.cpp says why it replaces OCCT's). A read whose count
// does not move while placing components ran OCCT's own check: the symbol
// it overrides was dropped.
unsigned long step_assembly_checks();
