// Package nodetest holds the helpers the tests of the node and the app share, so that
// each has one home: waiting for a condition with a deadline, the tests' logger, a
// buffer a test reads while another goroutine or a process writes it, a clock a test
// moves by hand, and what a call costs (bytes allocated, CPU time of the process).
// Only tests import it.
package nodetest
