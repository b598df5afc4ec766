package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/light"
	"github.com/daolicloud/daoli/node/network"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/daolicloud/daoli/node/trustee"
)

// bondWait bounds how long bond and unbond wait for the network: to sync and for the
// transaction to be certified.
const bondWait = 5 * time.Minute

// cmdBond sends a TrusteeBond (or, with leave, a TrusteeUnbond) signed with the
// trustee's key, from a light node of its own, and waits until a certified block holds
// it: the key then joins (or leaves) the trustee set at the next membership boundary.
func cmdBond(ctx context.Context, args []string, stdout, stderr io.Writer, leave bool) error {
	name := "bond"
	if leave {
		name = "unbond"
	}
	fs := flag.NewFlagSet("daoli-trustee "+name, flag.ContinueOnError)
	path := fs.String("config", "", "trustee configuration file")
	amount := fs.Uint64("amount", 0, "the bond, in the smallest unit (default: the chain's minimum)")
	fee := fs.Uint64("fee", 1, "the transaction's fee")
	var addrs listFlag
	if !leave {
		fs.Var(&addrs, "addr", "a multiaddr where other trustees reach this one (repeat; default: the configuration's announce addresses)")
	}
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if *path == "" {
		fmt.Fprintf(stderr, "%s: --config is required\n", name)
		return errUsage
	}
	cfg, err := trustee.LoadConfig(*path)
	if err != nil {
		return err
	}
	key, err := keys.LoadKeyFile(cfg.KeyFile)
	if err != nil {
		return err
	}
	nf, err := network.Load(cfg.NetworkFile)
	if err != nil {
		return err
	}
	var body chain.Body = &chain.TrusteeUnbond{}
	if !leave {
		if len(addrs) == 0 {
			addrs = cfg.Announce
		}
		full, err := dialable(addrs, key)
		if err != nil {
			fmt.Fprintf(stderr, "bond: %v\n", err)
			return errUsage
		}
		if *amount == 0 {
			*amount = nf.Genesis.Params.MinBond
		}
		body = &chain.TrusteeBond{Amount: *amount, Addrs: full}
	}
	ctx, cancel := context.WithTimeout(ctx, bondWait)
	defer cancel()
	lc := light.DefaultConfig(nf, filepath.Join(cfg.DataDir, "bond-client"))
	lc.Wallet, lc.DHT, lc.Logger = key, false, newLogger(io.Discard)
	n, err := light.Start(ctx, lc)
	if err != nil {
		return err
	}
	defer n.Stop()
	fmt.Fprintf(stderr, "Following the chain to learn this key's account…\n")
	for !n.Status().Synced || n.Height() == 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: the network did not answer in %v: %w", name, bondWait, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
	before, err := n.Balance(ctx)
	if err != nil {
		return err
	}
	tx, err := n.Submit(ctx, *fee, body)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	fmt.Fprintf(stderr, "Sent %s %s; waiting for a certified block to hold it…\n", body.Kind(), tx.Short())
	for {
		acct, err := n.Balance(ctx)
		if err == nil && acct.Nonce > before.Nonce {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: transaction %s not certified in %v: %w", name, tx.Short(), bondWait, ctx.Err())
		case <-time.After(time.Second):
		}
	}
	raw, h, err := n.ProveState(ctx, chain.RegistryKey())
	if err != nil {
		return err
	}
	reg, err := chain.DecodeRegistry(raw)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(reg.Bonded, func(t chain.Trustee) bool { return t.Key == key.Public() })
	every := nf.Genesis.Params.MembershipInterval
	next := (h/every + 1) * every
	switch {
	case !leave && i >= 0:
		fmt.Fprintf(stdout, "Bonded %d as of block %d. This key joins the trustee set at block %d (membership changes every %d blocks) if it is among the %d most senior.\n",
			reg.Bonded[i].Bond, h, next, every, nf.Genesis.Params.MaxTrustees)
	case leave && i >= 0 && reg.Bonded[i].Leaving:
		fmt.Fprintf(stdout, "Leaving as of block %d: this key leaves the trustee set at block %d; the bond comes back %d blocks later.\n",
			h, next, nf.Genesis.Params.UnbondDelay)
	case leave && slices.ContainsFunc(reg.Unbonding, func(u chain.Unbonding) bool { return u.Key == key.Public() }):
		// A membership boundary passed before the proof: the key has left already.
		u := reg.Unbonding[slices.IndexFunc(reg.Unbonding, func(u chain.Unbonding) bool { return u.Key == key.Public() })]
		fmt.Fprintf(stdout, "This key left the trustee set by block %d; the bond of %d comes back at block %d.\n", h, u.Amount, u.Release)
	case leave && i < 0:
		// The unbonding ended before the proof too (on a fast network): the bond is
		// back in the account.
		fmt.Fprintf(stdout, "This key left the trustee set and its bond came back by block %d.\n", h)
	default:
		return fmt.Errorf("%s: transaction %s was certified, but the registry at block %d does not show it", name, tx.Short(), h)
	}
	return nil
}

// dialable completes each address with the key's peer ID, which other trustees check
// when they dial.
func dialable(addrs []string, key *keys.Key) ([]string, error) {
	if len(addrs) == 0 {
		return nil, errors.New("give --addr (where other trustees reach this one) or set announce in the configuration")
	}
	id, err := p2p.PeerID(key.Public())
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(addrs))
	for _, a := range addrs {
		if !strings.Contains(a, "/p2p/") {
			a += "/p2p/" + id.String()
		}
		out = append(out, a)
	}
	return out, nil
}
