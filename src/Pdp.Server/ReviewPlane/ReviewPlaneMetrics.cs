using Prometheus;

namespace Pdp.Server.ReviewPlane;

/// <summary>The review plane's own series, on the server's registry: which store, whether it is reachable, and the fleet log's lag.</summary>
public sealed class ReviewPlaneMetrics
{
    public ReviewPlaneMetrics(Metrics.PdpMetrics metrics, string store)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var factory = Prometheus.Metrics.WithCustomRegistry(metrics.Registry);
        StoreUp = factory.CreateGauge("pdp_review_store_up", "1 when the review store can be reached (always 1 for the local store), else 0.", ["store"]).WithLabels(store);
        StoreUp.Set(1);
        ShippingBacklog = factory.CreateGauge("pdp_decision_log_backlog_records", "Trail records written here and not yet committed to the fleet decision log.");
        ShippingLag = factory.CreateHistogram("pdp_decision_log_lag_seconds", "Time from a decision's trail record to its commit in the fleet decision log.", new HistogramConfiguration
        {
            Buckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
        });
        ShippingBroken = factory.CreateGauge("pdp_decision_log_broken", "1 when shipping stopped because the local trail does not continue what was shipped (records cut or rewritten).");
        _registry = metrics.Registry;
        CopyFailures = factory.CreateCounter("pdp_review_local_copy_failures_total", "Review changes committed to the shared store whose copy to the local trail failed.");
    }

    private readonly CollectorRegistry _registry;

    public Gauge.Child StoreUp { get; }

    public Gauge ShippingBacklog { get; }

    public Histogram ShippingLag { get; }

    public Gauge ShippingBroken { get; }

    public Counter CopyFailures { get; }

    /// <summary>Runs <paramref name="refresh"/> just before every scrape, so gauges read at scrape time are never stale.</summary>
    public void OnScrape(Action refresh) => _registry.AddBeforeCollectCallback(refresh);
}
