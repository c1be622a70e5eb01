// conformance/sysv_shm_test.cc — conformance tests for System V shared memory:
// the raw OS calls ("verifying OS behaviour") and our layer where it exposes
// the behaviour. Catalogue: conformance/catalog/sysv_shm.txt.
