// The declaration in include/CFuzzDriver.h is all this target provides; the definition is in libFuzzer.
#include "CFuzzDriver.h"
