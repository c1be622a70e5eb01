// conformance/eintr_test.cc — conformance tests for EINTR and SA_RESTART:
// the raw OS calls ("verifying OS behaviour") and our layer where it exposes
// the behaviour. Catalogue: conformance/catalog/eintr.txt.
