// conformance/signals_test.cc — conformance tests for signals: dispositions, masks, delivery:
// the raw OS calls ("verifying OS behaviour") and our layer where it exposes
// the behaviour. Catalogue: conformance/catalog/signals.txt.
