package election_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/election"
	"github.com/getcd/getcd/lease"
	"github.com/getcd/getcd/op"
)

// A worker that does a job only while it leads: campaign, work under the
// leadership's guard, stop when the leadership is lost. (Not run: it needs
// a cluster; see examples/election for a program that starts one.)
func Example() {
	ctx := context.Background()
	c, err := conn.New(ctx, conn.Config{Endpoints: []string{"127.0.0.1:2379"}})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	s, err := lease.NewSession(ctx, c, lease.TTL(10))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close() // revokes the lease: a leader hands over at once

	l, err := election.Campaign(ctx, c, election.Name("jobs/report").WithSession(s).WithValue("worker-1"))
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("leading with fencing token %d", l.Rev())
	for {
		select {
		case <-l.Done():
			log.Printf("no longer leading: %v", l.Err()) // a *election.LostError
			return
		default:
		}
		// Written only while the leadership holds, whatever this process
		// believes.
		resp, err := c.Txn(ctx, op.If(l.Guard()).Then(op.Put(kv.New().WithKey("jobs/report/out").WithValue("..."))))
		if err != nil {
			log.Fatal(err)
		}
		if !resp.Succeeded {
			log.Print("deposed")
			return
		}
	}
}

// Following the leader of an election: every change once, resumed across
// reconnects and member failures. (Not run.)
func ExampleObserve() {
	ctx := context.Background()
	c, err := conn.New(ctx, conn.Config{Endpoints: []string{"127.0.0.1:2379"}})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	leaders, err := election.Observe(ctx, c, election.Name("jobs/report"))
	if err != nil {
		log.Fatal(err)
	}
	for li, err := range leaders {
		switch {
		case err != nil:
			log.Fatal(err)
		case li.Vacant():
			log.Printf("no leader since revision %d", li.Header.Revision)
		default:
			log.Printf("%s leads (token %d)", li.Value(), li.Rev())
		}
	}
}

// The guard of a leadership is a transaction condition on its key's create
// revision.
func ExampleLeaderKey_Guard() {
	k := election.LeaderKey{Name: "jobs/report", Key: "jobs/report/694d7d3b11e6e304", Rev: 1234, Lease: 0x694d7d3b11e6e304}
	cmp, err := k.Guard().Compile()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(cmp.Key), cmp.Target, cmp.Result, cmp.GetCreateRevision())
	// Output: jobs/report/694d7d3b11e6e304 CREATE EQUAL 1234
}

// An invalid request fails before anything is sent, with an error that
// names the field.
func ExampleCampaign_invalid() {
	_, err := election.Campaign(context.Background(), nil, election.Name("").WithValue("worker-1"))
	fmt.Println(errors.Is(err, kv.ErrInvalidRequest))
	fmt.Println(err)
	// Output:
	// true
	// election: invalid campaign request: name: required: the election's name (its keys live under name + "/")
}
