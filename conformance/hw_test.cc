// conformance/hw_test.cc — conformance tests for hardware-exception and terminal signals:
// the raw OS calls ("verifying OS behaviour") and our layer where it exposes
// the behaviour. Catalogue: conformance/catalog/hw.txt.
