package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/daolicloud/daoli/node/control"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/network"
	"golang.org/x/term"
)

// WalletFile is the keystore in the data directory.
const WalletFile = "wallet.json"

// PassphraseEnv names the environment variable a passphrase may come from, for
// scripts and services; without it (or --passphrase-file) the CLI asks on the terminal.
const PassphraseEnv = "DAOLI_PASSPHRASE"

// cliFlags are the flags every node and wallet command takes.
type cliFlags struct {
	data, network, passFile string
	json                    bool
}

func (c *cliFlags) register(fs *flag.FlagSet, passphrase bool) {
	fs.StringVar(&c.data, "data", "", "data directory (default: the per-user data directory)")
	fs.StringVar(&c.network, "network", "", "network file (default: the one chosen in Settings, else the embedded local demo network)")
	fs.BoolVar(&c.json, "json", false, "machine-readable output")
	if passphrase {
		fs.StringVar(&c.passFile, "passphrase-file", "", "read the wallet passphrase from this file (default: $"+PassphraseEnv+" or a prompt)")
	}
}

func (c *cliFlags) dataDir() (string, error) { return dataDirOrDefault(c.data) }

// readPassphrase takes the passphrase from --passphrase-file, the environment or the
// terminal, asking twice when confirm is set.
func readPassphrase(c *cliFlags, stderr io.Writer, confirm bool) ([]byte, error) {
	if c.passFile != "" {
		b, err := os.ReadFile(c.passFile)
		if err != nil {
			return nil, fmt.Errorf("passphrase file: %w", err)
		}
		return bytes.TrimRight(b, "\r\n"), nil
	}
	if p, ok := os.LookupEnv(PassphraseEnv); ok {
		return []byte(p), nil
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return nil, fmt.Errorf("%w: give --passphrase-file or set %s", errNoPassphrase, PassphraseEnv)
	}
	fmt.Fprint(stderr, "Wallet passphrase: ")
	p, err := term.ReadPassword(fd)
	fmt.Fprintln(stderr)
	if err != nil {
		return nil, err
	}
	if confirm {
		fmt.Fprint(stderr, "Again: ")
		q, err := term.ReadPassword(fd)
		fmt.Fprintln(stderr)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(p, q) {
			return nil, errors.New("the passphrases differ")
		}
	}
	return p, nil
}

var errNoPassphrase = errors.New("no passphrase")

const walletUsage = `Usage:
  daoli wallet new [--data D]                      make a wallet (asks for a passphrase)
  daoli wallet address                             the wallet's address
  daoli wallet balance                             the balance, proven by the running node
  daoli wallet send ADDRESS AMOUNT [--fee N] [--memo TEXT]
  daoli wallet history [--from HEIGHT]             the earnings ledger and transfers
  daoli wallet export [--out FILE]                 an encrypted backup of the wallet
  daoli wallet import FILE [--force]               restore a backup
Every command takes --data DIR, --network FILE and --json.
`

func cmdWallet(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, walletUsage)
		return 2
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("daoli wallet "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c cliFlags
	var run func() error
	switch sub {
	case "new":
		c.register(fs, true)
		run = func() error { return walletNew(&c, stdout, stderr) }
	case "address":
		c.register(fs, false)
		run = func() error { return walletAddress(&c, stdout) }
	case "balance":
		c.register(fs, false)
		run = func() error { return walletBalance(&c, stdout) }
	case "send":
		c.register(fs, false)
		fee := fs.Uint64("fee", 1, "fee for the trustees")
		memo := fs.String("memo", "", "a note for the recipient")
		run = func() error { return walletSend(&c, fs.Args(), *fee, *memo, stdout) }
	case "history":
		c.register(fs, false)
		from := fs.Uint64("from", 0, "first height")
		run = func() error { return walletHistory(&c, *from, stdout) }
	case "export":
		c.register(fs, true)
		out := fs.String("out", "", "write the backup to FILE (default: standard output)")
		run = func() error { return walletExport(&c, *out, stdout, stderr) }
	case "import":
		c.register(fs, true)
		force := fs.Bool("force", false, "replace the wallet that is there")
		run = func() error { return walletImport(&c, fs.Args(), *force, stdout, stderr) }
	case "help", "-h", "--help":
		fmt.Fprint(stdout, walletUsage)
		return 0
	default:
		fmt.Fprintf(stderr, "daoli wallet: unknown command %q\n%s", sub, walletUsage)
		return 2
	}
	if err := fs.Parse(interleave(args)); err != nil {
		return exitUsage(err)
	}
	if err := run(); err != nil {
		fmt.Fprintf(stderr, "daoli wallet %s: %v\n", sub, err)
		if errors.Is(err, errUsage) {
			return 2
		}
		return 1
	}
	return 0
}

// interleave moves flags ahead of positional arguments, so `send ADDR 5 --fee 2`
// parses as users expect.
func interleave(args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			flags = append(flags, a)
			if !strings.Contains(a, "=") && i+1 < len(args) && !isBoolFlag(a) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(flags, pos...)
}

func isBoolFlag(a string) bool {
	switch strings.TrimLeft(a, "-") {
	case "json", "force", "mine", "help", "h":
		return true
	}
	return false
}

var errUsage = errors.New("usage")

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func walletPath(c *cliFlags) (string, error) {
	dir, err := c.dataDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, WalletFile), nil
}

func walletNew(c *cliFlags, stdout, stderr io.Writer) error {
	path, err := walletPath(c)
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s already holds a wallet; it was not touched", path)
	}
	pass, err := readPassphrase(c, stderr, true)
	if err != nil {
		return err
	}
	k, err := keys.Generate(rand.Reader)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	if err := keys.SaveKeystore(path, k, pass); err != nil {
		return err
	}
	if c.json {
		return printJSON(stdout, map[string]any{"address": k.Address(), "file": path})
	}
	fmt.Fprintf(stdout, "New wallet %s\nSaved, encrypted, in %s. Keep the passphrase: without it the wallet cannot be opened.\n", k.Address(), path)
	return nil
}

func walletAddress(c *cliFlags, stdout io.Writer) error {
	path, err := walletPath(c)
	if err != nil {
		return err
	}
	a, err := keys.ReadKeystoreAddress(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("no wallet in %s; make one with: daoli wallet new", filepath.Dir(path))
		}
		return err
	}
	if c.json {
		return printJSON(stdout, map[string]any{"address": a})
	}
	fmt.Fprintln(stdout, a)
	return nil
}

// dialNode connects to the node of the data directory, or says how to start one.
func dialNode(c *cliFlags) (*control.Client, error) {
	dir, err := c.dataDir()
	if err != nil {
		return nil, err
	}
	cl, err := control.Dial(dir)
	if errors.Is(err, control.ErrNoNode) {
		return nil, fmt.Errorf("%w; start one with `daoli node --data %s` or open the app", err, dir)
	}
	if err != nil || c.network == "" {
		return cl, err
	}
	// A network named on the command line must be the one the node follows.
	nf, err := network.Load(c.network)
	if err != nil {
		return nil, err
	}
	ctx, cancel := cliContext()
	defer cancel()
	st, err := cl.Status(ctx)
	if err != nil {
		return nil, err
	}
	if st.ChainID != nf.ChainID {
		return nil, fmt.Errorf("the node in %s follows chain %q, not %q of %s", dir, st.ChainID, nf.ChainID, c.network)
	}
	return cl, nil
}

func cliContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

func walletBalance(c *cliFlags, stdout io.Writer) error {
	cl, err := dialNode(c)
	if err != nil {
		return err
	}
	ctx, cancel := cliContext()
	defer cancel()
	b, err := cl.Balance(ctx)
	if err != nil {
		return err
	}
	if c.json {
		return printJSON(stdout, b)
	}
	fmt.Fprintf(stdout, "%d  (%s, proven at block %d)\n", b.Balance, b.Address, b.Height)
	return nil
}

func walletSend(c *cliFlags, args []string, fee uint64, memo string, stdout io.Writer) error {
	if len(args) != 2 {
		return fmt.Errorf("%w: send ADDRESS AMOUNT", errUsage)
	}
	to, err := keys.ParseAddress(args[0])
	if err != nil {
		return fmt.Errorf("%q is not a Daoli address: %w", args[0], err)
	}
	amount, err := strconv.ParseUint(args[1], 10, 64)
	if err != nil || amount == 0 {
		return fmt.Errorf("%q is not an amount: give a whole number above 0", args[1])
	}
	cl, err := dialNode(c)
	if err != nil {
		return err
	}
	ctx, cancel := cliContext()
	defer cancel()
	r, err := cl.Send(ctx, control.SendRequest{To: to, Amount: amount, Fee: fee, Memo: memo})
	if err != nil {
		return err
	}
	if c.json {
		return printJSON(stdout, r)
	}
	fmt.Fprintf(stdout, "Sent %d to %s (fee %d); transaction %s\n", amount, to, fee, r.Tx)
	return nil
}

func walletHistory(c *cliFlags, from uint64, stdout io.Writer) error {
	cl, err := dialNode(c)
	if err != nil {
		return err
	}
	ctx, cancel := cliContext()
	defer cancel()
	es, err := cl.Ledger(ctx, from)
	if err != nil {
		return err
	}
	if c.json {
		if es == nil {
			es = []control.Entry{}
		}
		return printJSON(stdout, es)
	}
	if len(es) == 0 {
		fmt.Fprintln(stdout, "Nothing yet.")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "block\ttime\twhat\tamount\t")
	for _, e := range es {
		what := e.Source
		if e.Peer != nil {
			what += " " + e.Peer.String()
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%+d\t\n", e.Height, e.Time.Local().Format(time.DateTime), what, e.Amount)
	}
	return tw.Flush()
}

func walletExport(c *cliFlags, out string, stdout, stderr io.Writer) error {
	path, err := walletPath(c)
	if err != nil {
		return err
	}
	pass, err := readPassphrase(c, stderr, false)
	if err != nil {
		return err
	}
	backup, err := keys.ExportKeystore(path, pass, nil)
	if err != nil {
		return err
	}
	if out == "" {
		_, err = stdout.Write(backup)
		return err
	}
	if err := os.WriteFile(out, backup, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "Backup written to %s (encrypted with the wallet's passphrase).\n", out)
	return nil
}

func walletImport(c *cliFlags, args []string, force bool, stdout, stderr io.Writer) error {
	if len(args) != 1 {
		return fmt.Errorf("%w: import FILE", errUsage)
	}
	backup, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	path, err := walletPath(c)
	if err != nil {
		return err
	}
	pass, err := readPassphrase(c, stderr, false)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	if !force && fileExists(path) {
		return fmt.Errorf("%s already holds a wallet; export it first, then import with --force", path)
	}
	r, err := restoreWallet(path, backup, pass, time.Now())
	if err != nil {
		return err
	}
	if c.json {
		return printJSON(stdout, map[string]any{"address": r.Address, "file": path, "unchanged": r.Unchanged, "replaced": r.Aside})
	}
	switch {
	case r.Unchanged:
		fmt.Fprintf(stdout, "%s holds wallet %s already; nothing changed\n", path, r.Address)
	case r.Aside != "":
		fmt.Fprintf(stdout, "Imported wallet %s into %s; the wallet it replaced is kept in %s\n", r.Address, path, r.Aside)
	default:
		fmt.Fprintf(stdout, "Imported wallet %s into %s\n", r.Address, path)
	}
	return nil
}
