using Prometheus;

namespace Pdp.Server.Notifications;

/// <summary>Notification and escalation series on the server's registry, labelled by endpoint name (never its URL).</summary>
public sealed class NotifyMetrics
{
    public NotifyMetrics(Metrics.PdpMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var factory = Prometheus.Metrics.WithCustomRegistry(metrics.Registry);
        Deliveries = factory.CreateCounter("pdp_notify_deliveries_total", "Notification deliveries by endpoint and outcome (delivered, failed: tried again later, abandoned: given up).", ["endpoint", "outcome"]);
        OutboxDepth = factory.CreateGauge("pdp_notify_outbox_depth", "Notifications waiting in the outbox (for the fleet, with the shared store).");
        Latency = factory.CreateHistogram("pdp_notify_delivery_duration_seconds", "Time from a review event to its delivery to an endpoint.", new HistogramConfiguration
        {
            LabelNames = ["endpoint"],
            Buckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
        });
        Escalations = factory.CreateCounter("pdp_review_escalations_total", "Reviews escalated to their escalation group, by deciding policy.", ["policy"]);
        _registry = metrics.Registry;
    }

    private readonly CollectorRegistry _registry;

    public Counter Deliveries { get; }

    public Gauge OutboxDepth { get; }

    public Histogram Latency { get; }

    public Counter Escalations { get; }

    public void OnScrape(Action refresh) => _registry.AddBeforeCollectCallback(refresh);
}
