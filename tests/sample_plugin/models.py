from django.db import models


class SampleNote(models.Model):
    """A model of the throw-away module: its permissions and admin must appear by themselves."""

    text = models.CharField(max_length=100)

    class Meta:
        verbose_name = "nota de prueba"
        verbose_name_plural = "notas de prueba"

    def __str__(self) -> str:
        return self.text
