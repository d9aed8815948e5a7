__HEADER__
{{/* The labels of every object: the compose service's name (if any), the project, and Helm's. */}}
{{- define "__CHART__.labels" -}}
{{- with .name -}}
app.kubernetes.io/name: {{ . }}
{{ end -}}
app.kubernetes.io/part-of: {{ .ctx.Chart.Name }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The selector labels of a service's pods (never change: Kubernetes keeps selectors fixed). */}}
{{- define "__CHART__.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/part-of: {{ .ctx.Chart.Name }}
{{- end }}

{{/* An image from its values: [global.imageRegistry/]repository[:tag]. */}}
{{- define "ferry.image" -}}
{{- $repo := .image.repository -}}
{{- with .global.imageRegistry }}{{ $repo = printf "%s/%s" (trimSuffix "/" .) $repo }}{{ end -}}
{{- if .image.tag }}{{ printf "%s:%v" $repo .image.tag }}{{ else }}{{ $repo }}{{ end -}}
{{- end }}
