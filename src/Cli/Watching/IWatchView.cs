namespace DurableTrainer.Cli.Watching;

/// <summary>Shows a run while <see cref="RunWatcher"/> polls it: a live bar on a terminal, plain lines otherwise.</summary>
public interface IWatchView
{
    /// <summary>Runs <paramref name="poll"/>, which reports every snapshot it sees and returns the final one.</summary>
    Task<RunSnapshot> ShowAsync(Func<Action<RunSnapshot>, Task<RunSnapshot>> poll);
}
