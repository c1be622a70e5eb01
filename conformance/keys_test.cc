// conformance/keys_test.cc — conformance tests for IPC keys and ftok:
// the raw OS calls ("verifying OS behaviour") and our layer where it exposes
// the behaviour. Catalogue: conformance/catalog/keys.txt.
