package ui

import "errors"

// ErrWrongPassphrase is UnlockBackend.OpenWallet's answer to a passphrase that does
// not open the wallet.
var ErrWrongPassphrase = errors.New("wrong passphrase")

// errInput is a form error in words.
var errInput = errors.New("input")
