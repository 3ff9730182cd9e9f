// A library that missing_dependency.so links but that the loader cannot find: it lives in a
// folder on no search path.

extern "C" __attribute__((visibility("default"))) int oi_test_vanishing_answer() { return 42; }
