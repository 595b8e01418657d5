package deadline

import (
	"testing"
	"testing/synctest"
	"time"
)

func TestDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var d Deadline
		if _, passed := d.Wait(); passed {
			t.Fatal("zero Deadline has passed")
		}
		d.Set(time.Now().Add(time.Second))
		ch, passed := d.Wait()
		if passed {
			t.Fatal("passed a second early")
		}
		d.Set(time.Now().Add(2 * time.Second)) // moved: the old timer must not fire
		time.Sleep(1500 * time.Millisecond)
		if _, passed := d.Wait(); passed {
			t.Fatal("passed at 1.5 s after being moved to 2 s")
		}
		<-ch // the channel of a moved, unexpired deadline stays in use
		if _, passed := d.Wait(); !passed {
			t.Fatal("not passed once its channel closed")
		}
		d.Set(time.Time{})
		if _, passed := d.Wait(); passed {
			t.Fatal("cleared deadline still passed")
		}
		d.Set(time.Now().Add(-time.Second))
		if _, passed := d.Wait(); !passed {
			t.Fatal("deadline in the past not passed")
		}
		d.Set(time.Now().Add(time.Hour))
		d.Stop() // no timer left running: synctest would report a leak
	})
}
