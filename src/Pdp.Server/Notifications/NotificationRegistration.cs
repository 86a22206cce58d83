using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Npgsql;
using Pdp.Review.Notifications;
using Pdp.Review.Postgres.Notifications;
using Pdp.Review.Store;
using Pdp.Server.Auditing;
using Pdp.Server.Configuration;
using Polly;

namespace Pdp.Server.Notifications;

/// <summary>
/// Notifications, with an endpoint in <c>Pdp:Notify:Endpoints</c>: the outbox of the review store in use (the trail for
/// the local store, <c>notify_outbox</c> for the shared one), the HTTP client with its retry, and the dispatcher.
/// </summary>
public static class NotificationRegistration
{
    public static IServiceCollection AddNotifications(this IServiceCollection services, PdpOptions settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!settings.Notify.Enabled)
        {
            return services;
        }

        services.AddHttpClient(NoticeDispatcher.ClientName, client => client.Timeout = TimeSpan.FromSeconds(settings.Notify.TimeoutSeconds * 4))
            // The default HTTP client logging writes each request's URL, and a webhook URL may be a credential.
            .RemoveAllLoggers()
            .AddResilienceHandler(NoticeDispatcher.ClientName, pipeline =>
            {
                // A few quick tries for a blip; the outbox retries longer outages, for as long as GiveUpAfterSeconds.
                pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = 2,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = TimeSpan.FromMilliseconds(200),
                });
                pipeline.AddTimeout(TimeSpan.FromSeconds(settings.Notify.TimeoutSeconds));
            });
        if (settings.Review.Store == "postgres")
        {
            services.AddSingleton<INoticeOutbox>(sp =>
            {
                var options = sp.GetRequiredService<IOptions<PdpOptions>>().Value;
                return new PostgresNoticeOutbox(sp.GetRequiredService<NpgsqlDataSource>(), options.InstanceId, TimeSpan.FromSeconds(options.Notify.LeaseSeconds));
            });
        }
        else
        {
            // Made once the trail is open (the dispatcher asks for it when it starts, before the policies load).
            services.AddSingleton<INoticeOutbox>(sp =>
            {
                var options = sp.GetRequiredService<IOptions<PdpOptions>>().Value;
                var host = sp.GetRequiredService<AuditTrailHost>();
                var path = Path.GetFullPath(options.Audit.Path);
                var outbox = new LocalNoticeOutbox(path, host.Trail.LastRecord, sp.GetRequiredService<IReviewStore>(), LocalNoticeOutbox.PositionPathFor(path), options.Notify.MaxBacklog, sp.GetRequiredService<TimeProvider>());
                host.Trail.KeepFrom = () => outbox.KeepFrom;
                return outbox;
            });
        }

        services.AddSingleton<Func<INoticeOutbox>>(sp => sp.GetRequiredService<INoticeOutbox>);
        services.AddHostedService<NoticeDispatcher>();
        return services;
    }
}
