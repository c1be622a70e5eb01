// conformance/posix_mq_test.cc — conformance tests for POSIX message queues, the contrast block (MSG-049 … MSG-057):
// the raw OS calls ("verifying OS behaviour") and our layer where it exposes
// the behaviour. Catalogue: conformance/catalog/posix_mq.txt.
