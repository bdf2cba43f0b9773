package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/app"
	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/web/browsertest"
)

// Sizes of the account the webtool benchmark seeds: benchCampaigns
// campaigns of 1 to 100 recipients (about 50 on average), the last of
// benchLargest (as many as an upload takes), the campaign whose page is
// loaded.
const (
	benchCampaigns = 1000
	benchLargest   = 100_000
)

// seedCampaigns creates the demo account's campaigns through the campaign
// service, as the API does, on the store of cfg: benchCampaigns of them,
// the last one with benchLargest recipients, all scheduled to start in a
// week (so that nothing is sent while pages are measured), a tenth of
// them paused and a tenth cancelled. It returns the largest one's id.
func seedCampaigns(b *testing.B, cfg config.Config, clock parley.Clock) string {
	b.Helper()
	ctx := context.Background()
	seed := cfg
	seed.CreateRate = 1e4 // the account's creation rate would hold the seeding to 10 a second
	a, err := app.New(ctx, seed, obs.Discard(), app.WithClock(clock))
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	start := clock.Now().Add(7 * 24 * time.Hour)
	var largest string
	for i := range benchCampaigns {
		d := campaign.Draft{Name: fmt.Sprintf("Renewal wave %d", i+1), Skill: "renewals", TemplateID: parley.PlainSMSTemplateID,
			OutboundNumber: "+12025550100", Consent: true, Message: "Hi {{1}}, your subscription expires soon.", StartTime: start}
		if i == benchCampaigns-1 { // uploaded, as a list this long is
			var csv strings.Builder
			csv.WriteString("Phone,Message\n")
			for j := range benchLargest {
				fmt.Fprintf(&csv, "+1202%07d,Hi %d: your subscription expires soon.\n", 5550000+j, j)
			}
			d.Message, d.CSV = "Your subscription expires soon.", strings.NewReader(csv.String())
		}
		for j := range 1 + i*37%100 {
			if d.CSV == nil {
				d.Consumers = append(d.Consumers, campaign.Consumer{SMS: fmt.Sprintf("+1202%07d", 5550000+j), Variables: map[string]string{"1": "Jane"}})
			}
		}
		acc, err := a.Campaigns.Create(ctx, "demo", d)
		if err != nil {
			b.Fatalf("seed campaign %d: %v", i, err)
		}
		id := acc.Campaign.ID
		largest = id
		switch i % 10 {
		case 3:
			_, err = a.Campaigns.Pause(ctx, "demo", id)
		case 7:
			_, err = a.Campaigns.Cancel(ctx, "demo", id)
		}
		if err != nil {
			b.Fatalf("seed campaign %d: %v", i, err)
		}
	}
	return largest
}

// BenchmarkWebtool1000Campaigns measures the webtool on the embedded
// backend with an account of benchCampaigns campaigns (about 150,000 SMS
// recipients, 100,000 of them in the largest): each page loaded in headless Chromium, reported as the time
// from the navigation's start to the page's ready marker (ms/load, its
// mean, and max-ms), and the API calls the landing page makes, as the
// browser makes them (with the session cookie).
func BenchmarkWebtool1000Campaigns(b *testing.B) {
	br := browsertest.Shared(b)
	cfg := embeddedConfig(b)
	// The account's request rate (10 a second) would answer 429 to the
	// loads that follow one another: what is measured is the time to
	// serve, not the limit.
	cfg.RequestRate = 1e4
	clock := dayClock(0)
	largest := seedCampaigns(b, cfg, clock)
	s := start(b, cfg, clock)
	b.Cleanup(s.stop)
	base := "http://" + s.addr

	tab := br.NewTab(b, base)
	tab.SignInLocal("demo", "admin")
	// Every page the navigation offers an admin (pages added later are
	// measured too), the wizard and the largest campaign's page.
	var links []string
	tab.Eval(`[...document.querySelectorAll("nav.nav a")].map((a) => a.getAttribute("href"))`, &links)
	if len(links) < 5 {
		b.Fatalf("the navigation offers %q", links)
	}
	pages := append(links, "#new-campaign", "#campaign/"+largest)
	for _, hash := range pages {
		name := strings.TrimPrefix(hash, "#")
		if strings.HasPrefix(name, "campaign/") {
			name = "campaign"
		}
		if name == "" {
			name = "landing"
		}
		b.Run("page="+name, func(b *testing.B) {
			parent := tab.T
			tab.T = b
			defer func() { tab.T = parent }()
			var total, worst time.Duration
			for b.Loop() {
				d := tab.LoadTime("/" + hash)
				total += d
				worst = max(worst, d)
			}
			b.ReportMetric(float64(total.Microseconds())/1e3/float64(b.N), "ms/load")
			b.ReportMetric(float64(worst.Microseconds())/1e3, "max-ms")
		})
	}

	// The landing page's calls, then the campaign page's (every 3 s while
	// the campaign is scheduled or running) on the largest campaign.
	cookie := localSession(b, base)
	campaignPath := "/api/v2/account/demo/campaign/" + largest
	for _, path := range []string{"/auth/session", "/api/v2/account/demo/campaign?limit=20", campaignPath, campaignPath + "/conversations?limit=50"} {
		b.Run("api=GET "+path, func(b *testing.B) {
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodGet, base+path, nil)
				req.Header.Set("Cookie", cookie)
				req.Header.Set("Accept", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
				}
			}
		})
	}
}

// localSession signs in with the local sign-in as an admin of demo and
// returns the Cookie header a browser then sends.
func localSession(b *testing.B, base string) string {
	b.Helper()
	resp, err := http.Post(base+"/auth/local", "application/json", strings.NewReader(`{"account":"demo","role":"admin"}`))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	i := slices.IndexFunc(resp.Cookies(), func(c *http.Cookie) bool { return c.Name == "__Host-parley_session" })
	if resp.StatusCode != http.StatusOK || i < 0 {
		b.Fatalf("local sign-in: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
	c := resp.Cookies()[i]
	return c.Name + "=" + c.Value
}
