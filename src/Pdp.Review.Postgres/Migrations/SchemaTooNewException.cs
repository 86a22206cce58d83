namespace Pdp.Review.Postgres.Migrations;

/// <summary>
/// The review database was migrated by a newer Pdp than this one. This binary cannot know what the newer schema
/// means, so it must not read or write it: the caller refuses to start.
/// </summary>
public sealed class SchemaTooNewException : Exception
{
    /// <summary>Creates the exception for a database at <paramref name="databaseVersion"/>.</summary>
    public SchemaTooNewException(int databaseVersion, int binaryVersion)
        : base($"the review database is at schema version {databaseVersion}, newer than this binary's {binaryVersion}: " +
            "upgrade Pdp, or point it at another database")
    {
        DatabaseVersion = databaseVersion;
        BinaryVersion = binaryVersion;
    }

    /// <summary>Creates the exception with a default message.</summary>
    public SchemaTooNewException()
        : base("the review database's schema is newer than this binary's")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public SchemaTooNewException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the failure behind it.</summary>
    public SchemaTooNewException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The schema version found in the database.</summary>
    public int DatabaseVersion { get; }

    /// <summary>The newest schema version this binary knows (<see cref="SchemaMigrator.CurrentVersion"/>).</summary>
    public int BinaryVersion { get; }
}
