using Microsoft.Extensions.Options;
using Npgsql;
using Pdp.Review.Postgres.Shipping;
using Pdp.Review.Postgres.Store;
using Pdp.Review.Store;
using Pdp.Server.Auditing;
using Pdp.Server.Configuration;
using Pdp.Server.Logging;
using Pdp.Server.Metrics;

namespace Pdp.Server.ReviewPlane;

/// <summary>
/// Chooses the review store from <c>Pdp:Review:Store</c>: <c>local</c> (default: in memory, rebuilt from the trail) or
/// <c>postgres</c> (one review state for every instance, with the fleet decision log shipped from the local trail).
/// Registered before the trail opens, so the database is migrated before anything can decide.
/// </summary>
public static class ReviewPlaneRegistration
{
    public static IServiceCollection AddReviewPlane(this IServiceCollection services, PdpOptions settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        services.AddSingleton<IReviewJournal>(sp => sp.GetRequiredService<DecisionRecorder>());
        services.AddSingleton(sp => new ReviewPlaneMetrics(sp.GetRequiredService<PdpMetrics>(), settings.Review.Store));
        if (settings.Review.Store != "postgres")
        {
            services.AddSingleton<IReviewStore>(sp => new LocalReviewStore(sp.GetRequiredService<IReviewJournal>(), sp.GetRequiredService<IOptions<PdpOptions>>().Value.Review.RetainDecisions));
            return services;
        }

        services.AddSingleton(sp => DataSource(sp.GetRequiredService<IOptions<PdpOptions>>().Value));
        services.AddSingleton<ReviewNotifications>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<PdpOptions>>().Value;
            var metrics = sp.GetRequiredService<ReviewPlaneMetrics>();
            var logger = sp.GetRequiredService<ILogger<PostgresReviewStore>>();
            return new PostgresReviewStore(
                sp.GetRequiredService<NpgsqlDataSource>(),
                sp.GetRequiredService<IReviewJournal>(),
                sp.GetRequiredService<ReviewNotifications>(),
                options.InstanceId,
                options.Review.RetainDecisions,
                reason =>
                {
                    metrics.CopyFailures.Inc();
                    ServerLog.ReviewCopyFailed(logger, reason);
                });
        });
        services.AddSingleton<IReviewStore>(sp => sp.GetRequiredService<PostgresReviewStore>());
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<PdpOptions>>().Value;
            var postgres = options.Review.Postgres;
            return new DecisionLogShipper(
                sp.GetRequiredService<NpgsqlDataSource>(),
                Path.GetFullPath(options.Audit.Path),
                options.InstanceId,
                postgres.ShipBatchSize,
                TimeSpan.FromMilliseconds(postgres.ShipIntervalMilliseconds),
                sp.GetRequiredService<ILogger<DecisionLogShipper>>());
        });

        services.AddSingleton<ITrailAnchor, FleetTrailAnchor>();

        return services;
    }

    /// <summary>
    /// The pool every instance's review operations share. Short connect and command timeouts: a require-human Decide
    /// must fail closed within seconds when the database is gone, not hang for the default 30 s.
    /// </summary>
    private static NpgsqlDataSource DataSource(PdpOptions options)
    {
        var postgres = options.Review.Postgres;
        var connection = new NpgsqlConnectionStringBuilder(postgres.ConnectionString)
        {
            ApplicationName = $"pdp:{options.InstanceId}",
        };
        if (!postgres.ConnectionString.Contains("Timeout", StringComparison.OrdinalIgnoreCase))
        {
            connection.Timeout = Math.Min(postgres.CommandTimeoutSeconds, 5);
            connection.CommandTimeout = postgres.CommandTimeoutSeconds;
        }

        // Dead peers are noticed on idle pooled connections too, so the first call after an outage does not hang.
        if (connection.KeepAlive == 0)
        {
            connection.KeepAlive = 10;
        }

        return new NpgsqlDataSourceBuilder(connection.ConnectionString).Build();
    }
}
