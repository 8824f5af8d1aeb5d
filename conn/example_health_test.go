package conn_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/getcd/getcd/conn"
)

// A connection given one member of a cluster finds the others and follows
// membership changes; members that lose their leader or raise a NOSPACE or
// CORRUPT alarm are left out of rotation, and Status says why. (Not run: it
// needs a cluster; integration/healthtest runs the same on three processes.)
func ExampleConn_Sync() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := conn.New(ctx, conn.Config{
		Endpoints:        []string{"127.0.0.1:2379"},
		AutoSyncInterval: time.Minute, // and at once, by hand:
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	if err := c.Sync(ctx); errors.Is(err, conn.ErrNoUsableMember) {
		fmt.Println("kept the configured endpoints:", err)
	} else if err != nil {
		fmt.Println(err)
		return
	}
	for _, st := range c.Status() {
		if st.OutOfRotation {
			fmt.Printf("%s out of rotation for %s: %v\n", st.Endpoint, time.Since(st.OutSince).Round(time.Second), st.OutReason)
			continue
		}
		fmt.Println(st.Endpoint, st.State)
	}
}
