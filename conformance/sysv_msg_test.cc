// conformance/sysv_msg_test.cc — conformance tests for System V message queues (MSG-001 … MSG-048):
// the raw OS calls ("verifying OS behaviour") and our layer where it exposes
// the behaviour. Catalogue: conformance/catalog/sysv_msg.txt.
