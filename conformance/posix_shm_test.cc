// conformance/posix_shm_test.cc — conformance tests for POSIX shared memory and MAP_SHARED mmap:
// the raw OS calls ("verifying OS behaviour") and our layer where it exposes
// the behaviour. Catalogue: conformance/catalog/posix_shm.txt.
