using Pdp.Server.ReviewPlane;
using Microsoft.Extensions.Options;
using Npgsql;
using Pdp.Review.Postgres.Migrations;
using Pdp.Review.Postgres.Store;
using Pdp.Server.Configuration;
using Pdp.Server.Logging;

namespace Pdp.Server.Hosting;

/// <summary>
/// Brings the shared review database to this binary's schema before the trail opens and the policies load: nothing
/// is decided before require-human decisions can be committed. A database that cannot be reached within
/// <c>Pdp:Review:Postgres:StartupTimeoutSeconds</c>, or whose schema is newer than this binary, stops the start with
/// one clear message (<see cref="ReviewStoreStartupException"/>).
/// </summary>
public sealed class ReviewPlaneStartupService(NpgsqlDataSource dataSource, IOptions<PdpOptions> options, ILogger<SchemaMigrator> migratorLogger, ILogger<ReviewPlaneStartupService> logger) : IHostedService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(500);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(options.Value.Review.Postgres.StartupTimeoutSeconds);
        var migrator = new SchemaMigrator(migratorLogger);
        while (true)
        {
            try
            {
                var report = await migrator.MigrateAsync(dataSource, cancellationToken).ConfigureAwait(false);
                ServerLog.ReviewStoreReady(logger, $"postgres (schema {report.ToVersion})");
                return;
            }
            catch (SchemaTooNewException e)
            {
                throw new ReviewStoreStartupException(e.Message, e);
            }
            catch (Exception e) when (StoreFailures.IsUnavailable(e))
            {
                if (DateTime.UtcNow >= deadline)
                {
                    throw new ReviewStoreStartupException($"the review store (PostgreSQL) could not be reached within {options.Value.Review.Postgres.StartupTimeoutSeconds} s ({StoreFailures.Describe(e)}); check Pdp:Review:Postgres:ConnectionString", e);
                }

                ServerLog.ReviewStoreUnavailable(logger, "start-up", StoreFailures.Describe(e));
                await Task.Delay(RetryDelay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>The shared review store cannot serve this binary: the server does not start.</summary>
public sealed class ReviewStoreStartupException : Exception
{
    public ReviewStoreStartupException()
    {
    }

    public ReviewStoreStartupException(string message)
        : base(message)
    {
    }

    public ReviewStoreStartupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
