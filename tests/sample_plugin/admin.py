from django.contrib import admin

from tests.sample_plugin.models import SampleNote


@admin.register(SampleNote)
class SampleNoteAdmin(admin.ModelAdmin):
    list_display = ("text",)
