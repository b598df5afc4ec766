package trustee

import "errors"

var (
	// ErrBadConfig reports a configuration that cannot work.
	ErrBadConfig = errors.New("invalid trustee configuration")
	// ErrExists reports a file that would be overwritten.
	ErrExists = errors.New("file exists")
	// ErrMempoolFull reports a transaction refused because a mempool cap is reached.
	ErrMempoolFull = errors.New("mempool full")
	// ErrKnownTx reports a transaction the mempool already holds.
	ErrKnownTx = errors.New("transaction already in the mempool")
	// ErrNonce reports a transaction whose nonce is not the sender's next one.
	ErrNonce = errors.New("nonce out of order")
	// ErrInvalidTx reports a transaction that does not apply to the committed state.
	ErrInvalidTx = errors.New("invalid transaction")
	// ErrNotFound reports a block or certificate the trustee does not hold.
	ErrNotFound = errors.New("not found")
	// ErrBadWALRecord reports a write-ahead log record that does not decode, or a
	// commit record whose block does not follow the database's tip or does not check.
	ErrBadWALRecord = errors.New("invalid write-ahead log record")
	// ErrStopped reports use of a trustee that has stopped.
	ErrStopped = errors.New("trustee stopped")
)
