// conformance/fifo_test.cc — conformance tests for FIFOs / named pipes:
// the raw OS calls ("verifying OS behaviour") and our layer where it exposes
// the behaviour. Catalogue: conformance/catalog/fifo.txt.
