namespace Pdp.Policies.Loading;

/// <summary>Where policy sets come from. One implementation today (<see cref="DirectoryPolicySource"/>).</summary>
public interface IPolicySource
{
    /// <summary>Describes the source for logs, e.g. the directory's full path.</summary>
    string Origin { get; }

    /// <summary>Reads the whole set as it is now.</summary>
    PolicySourceSnapshot Read();
}
