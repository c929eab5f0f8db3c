using DurableTrainer.Domain.Configuration;
using TorchSharp;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.LearningTasks;

/// <summary>The loss a task trains with: cross-entropy over the classes (two for binary), or mean squared error on standardized targets.</summary>
public static class TaskLoss
{
    public static Tensor Of(LearningTask task, Tensor outputs, Tensor targets, nn.Reduction reduction = nn.Reduction.Mean) => task switch
    {
        LearningTask.Regression => nn.functional.mse_loss(outputs, targets, reduction),
        _ => nn.functional.cross_entropy(outputs, targets, reduction: reduction),
    };
}
