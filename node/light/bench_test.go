package light

import (
	"fmt"
	"testing"

	"github.com/daolicloud/daoli/node/chain/chaintest"
)

// BenchmarkFollowSync verifies certified blocks the way a syncing light node does, in
// runs of 256, every certificate carrying all trustees' signatures. headers/s is the
// figure the sync target is stated in.
func BenchmarkFollowSync(b *testing.B) {
	for _, n := range []int{4, 16} {
		b.Run(fmt.Sprintf("trustees=%d", n), func(b *testing.B) {
			const count = 512
			net, err := chaintest.New(chaintest.Config{Trustees: n})
			if err != nil {
				b.Fatal(err)
			}
			cs, err := net.Run(count, chaintest.Step{Transfers: 2, Tickets: 2})
			if err != nil {
				b.Fatal(err)
			}
			ls := links(cs)
			b.ResetTimer()
			var headers int
			for b.Loop() {
				f := newFollower(b, net)
				for i := 0; i < len(ls); i += 256 {
					if _, err := f.Verify(ls[i:min(i+256, len(ls))]); err != nil {
						b.Fatal(err)
					}
				}
				headers += len(ls)
			}
			b.ReportMetric(float64(headers)/b.Elapsed().Seconds(), "headers/s")
		})
	}
}

// BenchmarkFollowOneByOne is the same work a block at a time, as a node at the tip
// receives them, for comparison.
func BenchmarkFollowOneByOne(b *testing.B) {
	const count = 256
	net, err := chaintest.New(chaintest.Config{Trustees: 16})
	if err != nil {
		b.Fatal(err)
	}
	cs, err := net.Run(count, chaintest.Step{Transfers: 2, Tickets: 2})
	if err != nil {
		b.Fatal(err)
	}
	ls := links(cs)
	b.ResetTimer()
	var headers int
	for b.Loop() {
		f := newFollower(b, net)
		for i := range ls {
			if _, err := f.Verify(ls[i : i+1]); err != nil {
				b.Fatal(err)
			}
		}
		headers += len(ls)
	}
	b.ReportMetric(float64(headers)/b.Elapsed().Seconds(), "headers/s")
}
