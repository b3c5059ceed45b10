-- Argo CD action suspend for schedule-operator.io/Schedule: spec.suspend = true. The operator suspends the
-- CronJob; running Jobs finish, nothing is deleted. With selfHeal, Argo CD restores Git's spec.suspend.
obj.spec.suspend = true
return obj
