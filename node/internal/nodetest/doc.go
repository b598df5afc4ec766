// Package nodetest holds the helpers the node's tests share, so that each has one
// home: waiting for a condition with a deadline, the tests' logger, a clock a test
// moves by hand, and what a call costs (bytes allocated, CPU time of the process).
// Only tests import it.
package nodetest
