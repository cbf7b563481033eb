"""The runs this lesson records. Each @run function is called by the build with a fresh
Recorder `rec`, its seed and its settings; what it records is all the page can show."""
import torch

from generator.authoring import run


def bowl_loss(w: torch.Tensor) -> torch.Tensor:
    """A narrow bowl: the loss rises ten times faster along w2 than along w1."""
    return 0.5 * (w[0] ** 2 + 10 * w[1] ** 2)


@run(seed=0, lr=0.05, steps=40)
def descent(rec, *, seed: int, lr: float, steps: int) -> None:
    w = torch.tensor([-1.5, 1.0], requires_grad=True)
    optimizer = torch.optim.SGD([w], lr=lr)
    rec.constant(start=w.detach())  # an array: stored with its shape
    for step in range(steps + 1):
        # [start:step]
        loss = bowl_loss(w)
        rec.log(step, w=w.detach(), loss=loss.detach())  # w is a 2-vector at every step
        if step == steps:
            break
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        # [end:step]
    losses = rec.series["loss"]
    rec.fact(steps=steps, first_loss=losses[0], final_loss=losses[-1])
