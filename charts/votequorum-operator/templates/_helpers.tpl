{{/* The app.kubernetes.io/name of every object. */}}
{{- define "votequorum.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The prefix of object names; the default gives the names deploy/base uses. */}}
{{- define "votequorum.fullname" -}}
{{- .Values.fullnameOverride | default "votequorum" | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "votequorum.agentName" -}}
{{- printf "%s-agent" (include "votequorum.fullname" .) -}}
{{- end -}}

{{- define "votequorum.operatorName" -}}
{{- printf "%s-operator" (include "votequorum.fullname" .) -}}
{{- end -}}

{{- define "votequorum.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{/* Labels of every object; call with (dict "ctx" $ "component" "agent"). */}}
{{- define "votequorum.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "votequorum.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: votequorum-operator
{{- end -}}

{{/* Labels that select a component's pods; they never change after install. */}}
{{- define "votequorum.selectorLabels" -}}
app.kubernetes.io/name: {{ include "votequorum.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end -}}
