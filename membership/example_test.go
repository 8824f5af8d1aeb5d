package membership_test

import (
	"errors"
	"fmt"

	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/membership"
)

// A learner is added with its peer URL, promoted by ID once it has caught
// up, and removed by ID. Compiling shows what would be sent.
func Example() {
	add, _ := membership.New().WithPeerURLs("http://10.0.0.4:2380").AsLearner().AddRequest()
	fmt.Println("add", add.PeerURLs, "learner:", add.IsLearner)

	promote, _ := membership.New().WithID(0x8e9e05c52164694d).PromoteRequest()
	fmt.Printf("promote %x\n", promote.ID)

	// Bad input never leaves the client.
	_, err := membership.New().WithPeerURLs("10.0.0.4:2380").AddRequest()
	fmt.Println(errors.Is(err, kv.ErrInvalidRequest))
	fmt.Println(err)
	_, err = membership.New().RemoveRequest()
	fmt.Println(err)
	// Output:
	// add [http://10.0.0.4:2380] learner: true
	// promote 8e9e05c52164694d
	// true
	// membership: invalid add request: peer_urls[0]: "10.0.0.4:2380": not a URL; want one such as http://10.0.0.4:2380
	// membership: invalid remove request: id: a member ID is required (WithID); 0 is no member
}
